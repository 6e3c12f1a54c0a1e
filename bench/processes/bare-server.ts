// A baseline server in a process of its own: it reads the body, parses the JSON and answers
// 202, as bare as it gets (`node`), or through the same NestJS controller on Express (`nest`)
// or on Fastify (`nest-fastify`, the adapter the API runs on). Prints `listening <port>` once
// it listens.
//
//   node -r @swc-node/register bench/processes/bare-server.ts node|nest|nest-fastify <port>
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import * as http from 'node:http';

@Controller('webhooks')
class BareController {
  @Post(':source')
  @HttpCode(202)
  accept(@Body() body: unknown) {
    return { accepted: typeof body === 'object' };
  }
}
@Module({ controllers: [BareController] })
class BareModule {}

function bareNode(port: number): Promise<void> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_json"}');
      }
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

/** NestJS's default adapter is Express (@nestjs/platform-express, kept for this baseline only). */
async function bareNest(port: number, adapter: 'express' | 'fastify'): Promise<void> {
  const app = adapter === 'fastify' ? await NestFactory.create(BareModule, new FastifyAdapter(), { logger: false }) : await NestFactory.create(BareModule, { logger: false });
  await app.listen(port, '127.0.0.1');
}

async function main(): Promise<void> {
  const [kind, port] = process.argv.slice(2);
  if (kind === 'node') await bareNode(Number(port));
  else if (kind === 'nest') await bareNest(Number(port), 'express');
  else if (kind === 'nest-fastify') await bareNest(Number(port), 'fastify');
  else throw new Error('usage: bare-server node|nest|nest-fastify <port>');
  process.stdout.write(`listening ${port}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
