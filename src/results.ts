/** The typed results of upgrade, roll and resume: made by services/, rendered by ui/ (or printed as --json). */
import type { KraftFinding } from './engine/kraft-gates.js';
import type { RunReport } from './engine/ports.js';
import type { Plan } from './plan/model.js';

export interface RunResult {
  plan: Plan;
  run: RunReport;
  journal: string;
}

export interface UpgradeResult {
  dryRun: boolean;
  plan: Plan;
  run?: RunReport;
  journal?: string;
  /** KRaft dry runs read from the hosts: the quorum and feature checks as they stand now. */
  findings?: KraftFinding[];
}
