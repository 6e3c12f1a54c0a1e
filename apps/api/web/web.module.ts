import { Module } from '@nestjs/common';
import { WebController } from './web.controller';

/** The responders' web page at `/`: static files only; the page calls the API with the token its user signs in with. */
@Module({ controllers: [WebController] })
export class WebModule {}
