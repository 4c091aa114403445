import { onMounted, ref, type Ref } from 'vue';

export interface User {
  id: string;
  name: string;
  role: string;
  city: string;
}

/** The fake API (a static JSON file served by Vite or any static server), loaded once the page mounts. */
export function useUsers(): { users: Ref<User[] | null>; error: Ref<string | null> } {
  const users = ref<User[] | null>(null);
  const error = ref<string | null>(null);
  onMounted(async () => {
    try {
      const response = await fetch(`${import.meta.env.BASE_URL}api/users.json`);
      if (!response.ok) throw new Error(`GET users.json answered ${response.status}`);
      users.value = (await response.json()) as User[];
    } catch (reason) {
      error.value = (reason as Error).message;
    }
  });
  return { users, error };
}
