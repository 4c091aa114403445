import { Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Recorder } from '@reprise/angular';
import { LastError } from './app.config';

@Component({
  selector: 'app-layout',
  imports: [RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <div class="app">
      <header>
        <strong>Reprise playground</strong>
        <nav>
          <a routerLink="/" routerLinkActive="active" [routerLinkActiveOptions]="{ exact: true }">Home</a>
          <a routerLink="/users" routerLinkActive="active">Users</a>
          <a routerLink="/signup" routerLinkActive="active">Sign up</a>
          <a routerLink="/settings" routerLinkActive="active">Settings</a>
        </nav>
      </header>
      <main>
        @if (lastError.message(); as message) {
          <div role="alert" class="panel">
            <p>Something broke: {{ message }}</p>
            <button type="button" (click)="lastError.message.set(null)">Try again</button>
          </div>
        } @else {
          <router-outlet />
        }
      </main>
      <footer>
        Session <code data-testid="session-id">{{ recorder.sessionId() ?? 'not recording' }}</code>
      </footer>
    </div>
  `,
})
export class Layout {
  protected readonly recorder = inject(Recorder);
  protected readonly lastError = inject(LastError);
}
