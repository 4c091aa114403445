/**
 * The page behind the one-time setup link. The token travels in the URL fragment, which browsers
 * never send to a server or in a Referer, and the page posts it as JSON with the first admin's
 * name and password.
 */
export const setupPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reprise: first admin</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; }
  label { display: block; margin-top: 1rem; }
  input { width: 100%; padding: .5rem; box-sizing: border-box; }
  button { margin-top: 1.5rem; padding: .5rem 1rem; }
  #message { margin-top: 1rem; }
</style>
</head>
<body>
<h1>Create the first admin</h1>
<p>This link works once. The account gets the admin role on every project.</p>
<form id="setup">
  <label>Username <input name="username" autocomplete="username" required maxlength="64"></label>
  <label>Password (12 characters or more) <input name="password" type="password" autocomplete="new-password" required minlength="12"></label>
  <button type="submit">Create admin</button>
</form>
<p id="message" role="status"></p>
<script>
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', location.pathname);
  const message = document.getElementById('message');
  if (!token) message.textContent = 'This page needs the setup link printed by the collector at start.';
  document.getElementById('setup').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const response = await fetch('/v1/auth/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, username: form.get('username'), password: form.get('password') }),
    });
    const body = await response.json().catch(() => ({}));
    message.textContent = response.ok ? 'Done: you are logged in as ' + body.user.username + '.' : (body.message || 'Setup failed.');
  });
</script>
</body>
</html>
`;
