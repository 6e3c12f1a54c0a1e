import { json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

export interface JiraIssue {
  id: string;
  key: string;
  project: string;
  summary: string;
  labels: string[];
  description: unknown;
  status: 'To Do' | 'In Progress' | 'Done';
  comments: unknown[];
}

const TRANSITIONS = [
  { id: '11', name: 'To Do', to: { name: 'To Do', statusCategory: { key: 'new' } } },
  { id: '21', name: 'In Progress', to: { name: 'In Progress', statusCategory: { key: 'indeterminate' } } },
  { id: '31', name: 'Done', to: { name: 'Done', statusCategory: { key: 'done' } } },
];

/**
 * Jira Cloud's REST API v3 on loopback, the calls Palisade makes, shaped as Atlassian's OpenAPI
 * describes them: basic auth (email:API token); GET /myself; POST /issue → 201 {id, key, self};
 * GET /search/jql?jql=… → {issues, isLast} (only `project = "X" AND labels = "L"` is understood);
 * POST /issue/{key}/comment → 201; GET and POST /issue/{key}/transitions → 200 / 204; errors as
 * {errorMessages, errors}. `loseNextCreateAnswer` creates the issue and never answers, as a
 * worker killed between Jira's create and its own record would see it.
 */
export class FakeJira extends LoopbackVendor {
  readonly issues: JiraIssue[] = [];
  loseNextCreateAnswer = false;

  constructor(
    readonly email = 'secops-bot@example.com',
    readonly apiToken = 'jira-api-token-0123456789abcdef',
    readonly projects = ['SEC', 'OPS'],
  ) {
    super();
  }

  protected isToken(): boolean {
    return false;
  }

  protected errorBody(_status: number, message: string): unknown {
    return { errorMessages: [message], errors: {} };
  }

  protected throttleHeaders(): Record<string, string> {
    return { 'retry-after': '1' };
  }

  protected handle(r: RecordedRequest): VendorReply | Promise<VendorReply> {
    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString('base64')}`;
    if (r.headers.authorization !== expected) throw new Reply({ status: 401, body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} } });
    const p = r.path;
    if (r.method === 'GET' && p === '/rest/api/3/myself') return { status: 200, body: { accountId: '5b10a2844c20165700ede21g', emailAddress: this.email, displayName: 'SecOps Bot', active: true } };
    if (r.method === 'GET' && p === '/rest/api/3/search/jql') return this.search(r.query.get('jql') ?? '');
    if (r.method === 'POST' && p === '/rest/api/3/issue') return this.create(r);
    const m = /^\/rest\/api\/3\/issue\/([^/]+)(\/comment|\/transitions)?$/.exec(p);
    const issue = m ? this.issues.find((i) => i.key === decodeURIComponent(m[1]) || i.id === decodeURIComponent(m[1])) : undefined;
    if (m && !issue) throw new Reply({ status: 404, body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} } });
    if (issue && r.method === 'GET' && !m![2]) return { status: 200, body: { id: issue.id, key: issue.key, fields: { status: { name: issue.status, statusCategory: { key: issue.status === 'Done' ? 'done' : 'new' } } } } };
    if (issue && m![2] === '/comment' && r.method === 'POST') {
      const body = json(r)?.body;
      if (body?.type !== 'doc') throw new Reply({ status: 400, body: { errorMessages: [], errors: { comment: 'Comment body must be an Atlassian Document.' } } });
      issue.comments.push(body);
      return { status: 201, body: { id: String(10000 + issue.comments.length), body } };
    }
    if (issue && m![2] === '/transitions' && r.method === 'GET') {
      return { status: 200, body: { expand: 'transitions', transitions: issue.status === 'Done' ? TRANSITIONS.slice(0, 2) : TRANSITIONS } };
    }
    if (issue && m![2] === '/transitions' && r.method === 'POST') {
      const t = TRANSITIONS.find((x) => x.id === json(r)?.transition?.id);
      if (!t || (issue.status === 'Done' && t.id === '31')) throw new Reply({ status: 400, body: { errorMessages: ['Transition id is not valid for this issue.'], errors: {} } });
      issue.status = t.to.name as JiraIssue['status'];
      return { status: 204 };
    }
    throw new Reply({ status: 404, body: { errorMessages: ['Not found'], errors: {} } });
  }

  private search(jql: string): VendorReply {
    const m = /^project = "([^"]+)" AND labels = "([^"]+)"/.exec(jql);
    if (!m) throw new Reply({ status: 400, body: { errorMessages: [`The fake understands only project = "X" AND labels = "L", not: ${jql}`], errors: {} } });
    const found = this.issues.filter((i) => i.project === m[1] && i.labels.includes(m[2]));
    return { status: 200, body: { issues: found.map((i) => ({ id: i.id, key: i.key, self: `${this.url}/rest/api/3/issue/${i.id}`, fields: { summary: i.summary } })), isLast: true } };
  }

  private create(r: RecordedRequest): VendorReply | Promise<VendorReply> {
    const fields = json(r)?.fields ?? {};
    const project = fields.project?.key;
    if (!this.projects.includes(project)) throw new Reply({ status: 400, body: { errorMessages: [], errors: { project: 'valid project is required' } } });
    if (typeof fields.summary !== 'string' || !fields.summary) throw new Reply({ status: 400, body: { errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } } });
    if (fields.description !== undefined && fields.description?.type !== 'doc') {
      throw new Reply({ status: 400, body: { errorMessages: [], errors: { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format).' } } });
    }
    const n = this.issues.length + 1;
    const issue: JiraIssue = { id: String(10000 + n), key: `${project}-${n}`, project, summary: fields.summary, labels: fields.labels ?? [], description: fields.description, status: 'To Do', comments: [] };
    this.issues.push(issue);
    if (this.loseNextCreateAnswer) {
      this.loseNextCreateAnswer = false;
      return new Promise<VendorReply>(() => undefined); // created, never answered
    }
    return { status: 201, body: { id: issue.id, key: issue.key, self: `${this.url}/rest/api/3/issue/${issue.id}` } };
  }
}
