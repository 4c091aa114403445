import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { fetchUsers, type User } from '../../../shared/app.js';

export function Users() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    fetchUsers(import.meta.env.BASE_URL).then(
      (list) => current && setUsers(list),
      (reason: Error) => current && setError(reason.message),
    );
    return () => {
      current = false;
    };
  }, []);
  return (
    <section>
      <h1>Users</h1>
      {error && <p role="alert">{error}</p>}
      {!users && !error && <p>Loading users…</p>}
      {users && (
        <ul className="users">
          {users.map((user) => (
            <li key={user.id}>
              <Link to={`/users/${user.id}`}>{user.name}</Link> <span>{user.role}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
