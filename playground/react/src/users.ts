export interface User {
  id: string;
  name: string;
  role: string;
  city: string;
}

/** The fake API: a static JSON file served by Vite (dev) or any static server (build). */
export async function fetchUsers(): Promise<User[]> {
  const response = await fetch(`${import.meta.env.BASE_URL}api/users.json`);
  if (!response.ok) throw new Error(`GET users.json answered ${response.status}`);
  return (await response.json()) as User[];
}
