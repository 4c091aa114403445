import { Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { Recorder } from '@reprise/angular';

@Component({ selector: 'app-root', imports: [RouterOutlet], template: `<router-outlet />` })
export class App {
  constructor() {
    window.reprise = inject(Recorder);
  }
}
