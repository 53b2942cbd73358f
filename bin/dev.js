#!/usr/bin/env node
// Runs the compiled commands too (no ts-node): `npm run build` first.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
