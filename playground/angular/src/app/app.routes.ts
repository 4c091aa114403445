import type { Routes } from '@angular/router';
import { Layout } from './layout';
import { Home } from './pages/home';
import { Users } from './pages/users';
import { UserDetail } from './pages/user-detail';
import { SignUp } from './pages/sign-up';
import { Settings } from './pages/settings';

// The React playground's routes; the markers join the nested config paths (`''` + `users/:userId`).
export const routes: Routes = [
  {
    path: '',
    component: Layout,
    children: [
      { path: '', pathMatch: 'full', component: Home },
      { path: 'users', component: Users },
      { path: 'users/:userId', component: UserDetail },
      { path: 'signup', component: SignUp },
      { path: 'settings', component: Settings },
    ],
  },
];
