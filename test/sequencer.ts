/**
 * Order of the test files for two workers of which only one may run a real Kafka sandbox at
 * a time (test/helpers/sandbox.ts): the longest sandbox file first, then every file that
 * needs none (the other worker runs them meanwhile), then the other sandbox files. Without
 * this, vitest's largest-first order on a fresh clone hands both workers sandbox files and
 * one of them idles on the sandbox slot while the light files wait behind it.
 */
import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const startsSandbox = (spec: TestSpecification) => /from '\.\.\/helpers\/sandbox\.js'/.test(readFileSync(spec.moduleId, 'utf8'));

export default class SandboxAwareSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const [first, ...otherSandboxes] = sorted.filter(startsSandbox);
    return [...(first ? [first] : []), ...sorted.filter((f) => !startsSandbox(f)), ...otherSandboxes];
  }
}
