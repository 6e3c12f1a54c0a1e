import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { RenderedFormat } from '../../../lib/postmortem/render';
import { ApiIdParam, ApiZodResponse } from '../common/openapi/api-decorators';
import { ApiErrors } from '../common/openapi/api-errors';
import { PostmortemQueryDto } from './dto/postmortem-query.dto';
import { postmortemSchema } from './dto/postmortem-responses.dto';
import { PostmortemsService } from './postmortems.service';

const CONTENT_TYPE: Record<RenderedFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

@ApiTags('postmortems')
@Controller('incidents')
export class PostmortemsController {
  constructor(@Inject(PostmortemsService) private readonly postmortems: PostmortemsService) {}

  @Get(':id/postmortem')
  @ApiProduces('text/markdown', 'text/html', 'application/json')
  @ApiIdParam('id', 'The incident id (GET /incidents lists them).')
  @ApiZodResponse(200, postmortemSchema, 'Markdown (default), a standalone HTML page, or with ?format=json the computed model.')
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request'], 404: ['incident_not_found'] })
  @ApiOperation({
    summary: "An incident's postmortem: summary, impact, key times, approvals, what the automation did and failed, the timeline, action items.",
    description:
      'format=md (default) reads as plain text; format=html is a standalone page for printing; format=json is the computed model the templates render ' +
      '(runbooks/templates/postmortem.*.hbs). Times are UTC; durations count from the first alert.',
  })
  async get(@Param('id') id: string, @Query() query: PostmortemQueryDto, @Res({ passthrough: true }) res: FastifyReply) {
    const postmortem = await this.postmortems.build(id);
    if (query.format === 'json') return postmortem;
    void res.header('Content-Type', CONTENT_TYPE[query.format]).header('X-Content-Type-Options', 'nosniff');
    // The page stands alone: its inline styles and nothing else, whatever an alert's text says.
    if (query.format === 'html') void res.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return this.postmortems.render(query.format, postmortem);
  }
}
