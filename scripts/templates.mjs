#!/usr/bin/env node
// Writes plans/*.yaml, the ready templates for common upgrades, from the planner itself
// (run after `npm run build`). test/unit/templates.test.ts regenerates them and fails if
// a committed template differs, so templates never drift from the planner's rules.
import { mkdirSync, writeFileSync } from 'node:fs';
import { templatePlans } from '../dist/plan/templates.js';
import { planToYaml } from '../dist/plan/plan-file.js';

mkdirSync(new URL('../plans/', import.meta.url), { recursive: true });
for (const { file, plan } of templatePlans()) {
  writeFileSync(new URL(`../plans/${file}`, import.meta.url), planToYaml(plan, '../schemas/plan.schema.json'));
  console.log(`plans/${file}`);
}
