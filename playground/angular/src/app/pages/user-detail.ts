import { Component, computed, input, resource, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { fetchUsers } from '../../../../shared/app';
import { Modal } from './modal';

@Component({
  selector: 'app-user-detail',
  imports: [RouterLink, Modal],
  template: `
    @if (!users.hasValue()) {
      <p>Loading…</p>
    } @else if (user(); as user) {
      <section>
        <h1>{{ user.name }}</h1>
        <p>{{ user.role }} in {{ user.city }}</p>
        <button type="button" (click)="contactOpen.set(true)">Contact {{ user.name }}</button>
        <p><a routerLink="/users" [replaceUrl]="true">Back to users</a></p>
        @if (contactOpen()) {
          <app-modal [title]="'Contact ' + user.name" (closed)="contactOpen.set(false)">
            <p>Messages to {{ user.name }} are delivered within a day.</p>
          </app-modal>
        }
      </section>
    } @else {
      <p>No user {{ userId() }}. <a routerLink="/users">Back to users</a></p>
    }
  `,
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
