import { Component, computed, input, resource, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { fetchUsers } from '../../../../shared/app';
import { Modal } from './modal';

@Component({
  selector: 'app-user-detail',
  imports: [RouterLink, Modal],
  templateUrl: './user-detail.html',
})
export class UserDetail {
  /** The `:userId` route param (withComponentInputBinding). */
  readonly userId = input.required<string>();
  protected readonly users = resource({ loader: () => fetchUsers(document.baseURI) });
  protected readonly user = computed(
    () => this.users.value()?.find((candidate) => candidate.id === this.userId()) ?? null,
  );
  protected readonly contactOpen = signal(false);
}
