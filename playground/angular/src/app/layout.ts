import { Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Recorder } from '@reprise/angular';
import { NAV_LINKS } from '../../../shared/app';
import { LastError } from './app.config';

@Component({
  selector: 'app-layout',
  imports: [RouterLink, RouterLinkActive, RouterOutlet],
  templateUrl: './layout.html',
})
export class Layout {
  protected readonly recorder = inject(Recorder);
  protected readonly lastError = inject(LastError);
  protected readonly navLinks = NAV_LINKS;
}
