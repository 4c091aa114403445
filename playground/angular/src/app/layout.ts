import { Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Recorder } from '@reprise/angular';
import { NAV_LINKS } from '../../../shared/app';
import { LastError } from './app.config';

@Component({
  selector: 'app-layout',
  imports: [RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <div class="app">
      <header>
        <strong>Reprise playground</strong>
        <nav>
          @for (link of navLinks; track link.path) {
            <a [routerLink]="link.path" routerLinkActive="active" [routerLinkActiveOptions]="{ exact: link.exact }">{{
              link.label
            }}</a>
          }
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
  protected readonly navLinks = NAV_LINKS;
}
