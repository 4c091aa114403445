import { Component } from '@angular/core';
import { RepriseBlock, RepriseMask } from '@reprise/angular';
import { SETTINGS_PAGE } from '../../../../shared/app';

@Component({
  selector: 'app-settings',
  imports: [RepriseMask, RepriseBlock],
  templateUrl: './settings.html',
})
export class Settings {
  protected readonly page = SETTINGS_PAGE;
}
