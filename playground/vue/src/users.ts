import { onMounted, ref, type Ref } from 'vue';
import { fetchUsers, type User } from '../../shared/app.js';

/** The fake API's users (../../shared/app.ts), loaded once the page mounts. */
export function useUsers(): { users: Ref<User[] | null>; error: Ref<string | null> } {
  const users = ref<User[] | null>(null);
  const error = ref<string | null>(null);
  onMounted(async () => {
    try {
      users.value = await fetchUsers(import.meta.env.BASE_URL);
    } catch (reason) {
      error.value = (reason as Error).message;
    }
  });
  return { users, error };
}
