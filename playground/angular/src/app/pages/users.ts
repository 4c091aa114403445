import { Component, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { fetchUsers } from '../../../../shared/app';

@Component({
  selector: 'app-users',
  imports: [RouterLink],
  templateUrl: './users.html',
})
export class Users {
  protected readonly users = resource({ loader: () => fetchUsers(document.baseURI) });
}
