import { describe, expect, it } from 'vitest';
import { askPast503, type Answer } from '../../bench/support/drill-kit';

// The deploy drill reads GET /deploys many times; under the full suite's load the API answered
// 503 once (Temporal slow), and the drill read `.versions` of that answer (a TypeError, a red
// CI run). A 503 is asked again until a deadline; any other answer stops the drill saying what it was.
describe('the drills asking again past a 503', () => {
  const answers = (...list: Answer[]) => {
    let asked = 0;
    return { ask: async () => list[Math.min(asked++, list.length - 1)], asked: () => asked };
  };
  const answer = (status: number, body: unknown): Answer => ({ status, body, headers: undefined });
  const unavailable = answer(503, { error: 'temporal_unavailable' });

  it('asks again while the API answers 503, and returns the 200', async () => {
    const api = answers(unavailable, unavailable, answer(200, { versions: ['v1'] }));
    expect((await askPast503(api.ask, 'GET /deploys', 5_000, 1)).body).toEqual({ versions: ['v1'] });
    expect(api.asked()).toBe(3);
  });

  it('stops at once on any other answer, saying what it was', async () => {
    const api = answers(answer(401, { error: 'invalid_token' }));
    await expect(askPast503(api.ask, 'GET /deploys', 5_000, 1)).rejects.toThrow('GET /deploys answered 401 {"error":"invalid_token"}');
    expect(api.asked()).toBe(1);
  });

  it('gives up on a 503 past its deadline, saying so', async () => {
    const api = answers(unavailable);
    await expect(askPast503(api.ask, 'GET /deploys', 20, 5)).rejects.toThrow('GET /deploys answered 503 {"error":"temporal_unavailable"}');
    expect(api.asked()).toBeGreaterThan(1);
  });
});
