import { Component, input, output } from '@angular/core';

@Component({
  selector: 'app-modal',
  host: { '(window:keydown.escape)': 'closed.emit()' },
  template: `
    <div class="backdrop" (click)="closed.emit()">
      <div role="dialog" aria-modal="true" [attr.aria-label]="title()" class="modal" (click)="$event.stopPropagation()">
        <h2>{{ title() }}</h2>
        <ng-content />
        <button type="button" (click)="closed.emit()">Close</button>
      </div>
    </div>
  `,
})
export class Modal {
  readonly title = input.required<string>();
  readonly closed = output();
}
