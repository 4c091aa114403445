import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { fetchUsers, type User } from '../../../shared/app.js';
import { Modal } from './Modal.js';

export function UserDetail() {
  const { userId } = useParams();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [contactOpen, setContactOpen] = useState(false);
  useEffect(() => {
    let current = true;
    fetchUsers(import.meta.env.BASE_URL).then(
      (list) => current && setUser(list.find((candidate) => candidate.id === userId) ?? null),
      () => current && setUser(null),
    );
    return () => {
      current = false;
    };
  }, [userId]);
  if (user === undefined) return <p>Loading…</p>;
  if (user === null)
    return (
      <p>
        No user {userId}. <Link to="/users">Back to users</Link>
      </p>
    );
  return (
    <section>
      <h1>{user.name}</h1>
      <p>
        {user.role} in {user.city}
      </p>
      <button type="button" onClick={() => setContactOpen(true)}>
        Contact {user.name}
      </button>
      <p>
        <Link to="/users" replace>
          Back to users
        </Link>
      </p>
      {contactOpen && (
        <Modal title={`Contact ${user.name}`} onClose={() => setContactOpen(false)}>
          <p>Messages to {user.name} are delivered within a day.</p>
        </Modal>
      )}
    </section>
  );
}
