import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRole } from '../../auth/auth.decorators';
import type { Caller } from '../../auth/roles';
import { ApiIdParam, ApiZodResponse } from '../../common/openapi/api-decorators';
import { ApiErrors } from '../../common/openapi/api-errors';
import {
  DiffQueryDto,
  EditPostmortemDto,
  postmortemReviewSchema,
  reviewChangeSchema,
  revisionDiffSchema,
  revisionListSchema,
  SignOffDto,
  StartRevisionDto,
} from '../dto/review.dto';
import { PostmortemReviewService } from './review.service';

const ID = "The incident id: an incident's postmortem has its id (GET /incidents lists them).";
const NOT_FOUND = { 400: ['invalid_incident_id'], 404: ['incident_not_found'] } as const;

/** Postmortem review: draft → in review → published, with two reviewers' sign-off; revisions after that. */
@ApiTags('postmortems')
@Controller('postmortems')
export class PostmortemReviewController {
  constructor(@Inject(PostmortemReviewService) private readonly review: PostmortemReviewService) {}

  @Get(':id')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, postmortemReviewSchema, 'The review as it stands.')
  @ApiErrors(NOT_FOUND)
  @ApiOperation({
    summary: "A postmortem's review: what responders wrote (root cause, contributing factors, what went well and badly, action items with owner, due date and ticket), its state and sign-offs.",
  })
  get(@Param('id') id: string) {
    return this.review.get(id);
  }

  @Patch(':id')
  @RequireRole('responder')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, reviewChangeSchema, 'The revision the edit went to.')
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request', 'unknown_action_item'], 404: ['incident_not_found'], 409: ['postmortem_published'] })
  @ApiOperation({
    summary: 'Write on the postmortem: the first edit starts revision 1 as a draft; fields left out stay as they are.',
    description: 'A revision in review takes the edit and loses its sign-offs; a published one refuses it (409 postmortem_published): POST /postmortems/:id/revisions starts the next.',
  })
  edit(@Param('id') id: string, @Body() dto: EditPostmortemDto, @CurrentCaller() caller: Caller) {
    return this.review.edit(id, dto, caller);
  }

  @Post(':id/submit')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, reviewChangeSchema, 'In review; `tickets`: action items queued as tickets.')
  @ApiErrors({ ...NOT_FOUND, 409: ['postmortem_incomplete', 'postmortem_in_review', 'postmortem_published'] })
  @ApiOperation({
    summary: 'Send the draft to review (it needs a root cause and an action item); action items become tickets where the incident\'s ticket went.',
  })
  submit(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.review.submit(id, caller);
  }

  @Post(':id/sign-off')
  @RequireRole('responder')
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, reviewChangeSchema, 'Signed off; the second sign-off publishes it.')
  @ApiErrors({ ...NOT_FOUND, 403: ['reviewer_is_author'], 409: ['postmortem_not_in_review', 'already_signed_off', 'postmortem_published'] })
  @ApiOperation({
    summary: 'Sign the revision in review off. Two different people, neither the author of its last edit, publish it.',
  })
  signOff(@Param('id') id: string, @Body() dto: SignOffDto, @CurrentCaller() caller: Caller) {
    return this.review.signOff(id, caller, dto.note);
  }

  @Get(':id/revisions')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, revisionListSchema, 'Every revision, oldest first, with its content and sign-offs.')
  @ApiErrors(NOT_FOUND)
  @ApiOperation({ summary: "A postmortem's revisions, oldest first." })
  revisions(@Param('id') id: string) {
    return this.review.revisions(id);
  }

  @Get(':id/revisions/diff')
  @ApiIdParam('id', ID)
  @ApiZodResponse(200, revisionDiffSchema, 'What changed between the two revisions.')
  @ApiErrors({ 400: ['invalid_incident_id', 'invalid_request'], 404: ['revision_not_found'] })
  @ApiOperation({ summary: 'What changed from one revision to another (?from=1&to=2), field by field.' })
  diff(@Param('id') id: string, @Query() query: DiffQueryDto) {
    return this.review.diff(id, query.from, query.to);
  }

  @Post(':id/revisions')
  @RequireRole('responder')
  @HttpCode(HttpStatus.CREATED)
  @ApiIdParam('id', ID)
  @ApiZodResponse(201, reviewChangeSchema, 'The new revision, a draft copy of the published one.')
  @ApiErrors({ ...NOT_FOUND, 409: ['postmortem_not_published'] })
  @ApiOperation({ summary: 'Revise a published postmortem: starts the next revision as a draft; the published one stays as it was.' })
  startRevision(@Param('id') id: string, @Body() dto: StartRevisionDto, @CurrentCaller() caller: Caller) {
    return this.review.startRevision(id, caller, dto.reason);
  }
}
