import { Module } from '@nestjs/common';
import { PeopleDirectory } from '../common/people.directory';
import { PlaybooksController } from './playbooks.controller';
import { PlaybooksService } from './playbooks.service';

/** The playbook catalogue and hand-started runs; also owns the people directory (runbooks/people.yaml). */
@Module({ controllers: [PlaybooksController], providers: [PlaybooksService, PeopleDirectory], exports: [PeopleDirectory] })
export class PlaybooksModule {}
