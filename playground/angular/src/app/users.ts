export interface User {
  id: string;
  name: string;
  role: string;
  city: string;
}

/** The fake API: a static JSON file in public/api, served with the app. */
export async function fetchUsers(): Promise<User[]> {
  const response = await fetch(new URL('api/users.json', document.baseURI));
  if (!response.ok) throw new Error(`GET users.json answered ${response.status}`);
  return (await response.json()) as User[];
}
