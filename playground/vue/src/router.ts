import { createRouter, createWebHistory } from 'vue-router';
import Home from './pages/Home.vue';
import Users from './pages/Users.vue';
import UserDetail from './pages/UserDetail.vue';
import SignUp from './pages/SignUp.vue';
import Settings from './pages/Settings.vue';

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  linkExactActiveClass: 'active',
  routes: [
    { path: '/', name: 'home', component: Home },
    { path: '/users', name: 'users', component: Users },
    { path: '/users/:userId', name: 'user', component: UserDetail, props: true },
    { path: '/signup', name: 'signup', component: SignUp },
    { path: '/settings', name: 'settings', component: Settings },
  ],
});
