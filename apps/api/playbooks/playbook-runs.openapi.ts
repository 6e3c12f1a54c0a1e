import type { OpenAPIObject } from '@nestjs/swagger';
import type { Catalogue } from '../../../lib/playbooks/catalogue';
import { expandPathParam } from '../common/openapi/document-edits';
import { openApiSchema } from '../common/openapi/schemas';
import { startRunSchema } from './dto/start-run.dto';

/**
 * `/playbooks/{name}/runs` becomes one path per playbook a responder may start, each with its
 * params as the playbook declares them (the schema the service checks them with).
 */
export function describeManualRuns(document: OpenAPIObject, catalogue: Catalogue): void {
  const startable = catalogue.entries.filter((p) => p.manualStart).map((p) => ({ name: p.name, description: p.description, params: p.params }));
  expandPathParam(
    document,
    '/playbooks/{name}/runs',
    'post',
    'name',
    startable.map(({ name, description, params }) => ({
      value: name,
      refine: (op) => {
        op.summary = `Start ${name} by hand: ${description}`;
        const body = startRunSchema.extend({ params: params.describe(`The ${name} playbook's params.`) });
        op.requestBody = { required: true, content: { 'application/json': { schema: openApiSchema(body) } } };
      },
    })),
  );
}
