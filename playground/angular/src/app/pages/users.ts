import { Component, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { fetchUsers } from '../../../../shared/app';

@Component({
  selector: 'app-users',
  imports: [RouterLink],
  template: `
    <section>
      <h1>Users</h1>
      @if (users.error(); as error) {
        <p role="alert">{{ $any(error).message }}</p>
      } @else if (users.hasValue()) {
        <ul class="users">
          @for (user of users.value(); track user.id) {
            <li>
              <a [routerLink]="['/users', user.id]">{{ user.name }}</a> <span>{{ user.role }}</span>
            </li>
          }
        </ul>
      } @else {
        <p>Loading users…</p>
      }
    </section>
  `,
})
export class Users {
  protected readonly users = resource({ loader: () => fetchUsers(document.baseURI) });
}
