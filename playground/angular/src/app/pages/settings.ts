import { Component } from '@angular/core';
import { RepriseBlock, RepriseMask } from '@reprise/angular';
import { SETTINGS_SECRETS } from '../../../../shared/app';

@Component({
  selector: 'app-settings',
  imports: [RepriseMask, RepriseBlock],
  template: `
    <section>
      <h1>Settings</h1>
      <p>Your plan: Team, billed monthly.</p>
      <div class="panel" id="masked-panel" repriseMask>
        <h2>API credentials</h2>
        @for (line of secrets.credentials; track line) {
          <p>{{ line }}</p>
        }
      </div>
      <div class="panel" id="blocked-panel" repriseBlock>{{ secrets.blockedNote }}</div>
    </section>
  `,
})
export class Settings {
  protected readonly secrets = SETTINGS_SECRETS;
}
