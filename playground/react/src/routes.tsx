import type { RouteObject } from 'react-router';
import { Layout } from './pages/Layout.js';
import { Home } from './pages/Home.js';
import { Users } from './pages/Users.js';
import { UserDetail } from './pages/UserDetail.js';
import { SignUp } from './pages/SignUp.js';
import { Settings } from './pages/Settings.js';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Home /> },
      { path: 'users', element: <Users /> },
      { path: 'users/:userId', element: <UserDetail /> },
      { path: 'signup', element: <SignUp /> },
      { path: 'settings', element: <Settings /> },
    ],
  },
];
