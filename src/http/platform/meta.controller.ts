import { Controller, Get, Inject } from '@nestjs/common';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { Public } from '@riser/auth';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Riser's version, from the nearest package.json up from here (src/ or dist/src/). */
function ownVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}
export const version = ownVersion();

/** `GET /ok` and `GET /info`, public as on LangGraph Platform. */
@Controller()
@Public()
export class MetaController {
  constructor(@Inject(RISER_CONFIG) private readonly config: RiserConfig) {}

  @Get('ok')
  ok() {
    return { ok: true };
  }

  @Get('info')
  info() {
    return { version, context: 'js', server: 'riser', flags: { assistants: true, crons: false, langsmith: this.config.tracing.langsmith, store: false } };
  }
}
