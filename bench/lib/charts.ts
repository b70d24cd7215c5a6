// Charts built from a finished section's raw figures, for sections whose own file builds none.
import type { FleetLevelResult } from '../fleet';
import { fixed, type BenchArgs, type SectionResult } from './common';
import type { Bar, BarChart } from './svg-chart';

/** Ops/s the task-queue activity cap allows a level (as the fleet section's "cap floor"), NaN when unknown. */
function capAllowsOpsPerSecond(r: FleetLevelResult): number {
  if (r.activitiesPerMigrate === null || r.fleetStartActivities === null) return NaN;
  const floorMs =
    ((r.numbers * r.activitiesPerMigrate + r.fleetStartActivities) / r.activityCapPerSecond) * 1000;
  return r.numbers / (floorMs / 1000);
}

/** Fleet: ops/s by concurrency level (one bar per pass and level). */
export function fleetChart(result: SectionResult, args: BenchArgs): BarChart | undefined {
  const levels = (result.raw as { levels?: FleetLevelResult[] } | undefined)?.levels ?? [];
  if (levels.length === 0) return undefined;
  const bars: Bar[] = levels.map((r) => {
    const cap = capAllowsOpsPerSecond(r);
    return {
      label: `cap ${r.activityCapPerSecond}/s, concurrency ${r.concurrency}`,
      value: r.opsPerSecond,
      series: `activity cap ${r.activityCapPerSecond}/s`,
      note: `${fixed(r.opsPerSecond, 2)} ops/s${Number.isFinite(cap) ? ` (cap allows ${fixed(cap, 1)})` : ''}`,
      group: r.pass,
    };
  });
  return {
    name: 'fleet',
    title: `Fleet, migrate: ${args.fleetNumbers} numbers per level, ops/s by concurrency`,
    unit: 'migrations per second, fleet start → fleet result (higher is better)',
    bars,
  };
}

/** The section's result with the charts built here added (those it built itself are kept). */
export function withCharts(result: SectionResult, args: BenchArgs): SectionResult {
  const extra = result.name === 'fleet' ? fleetChart(result, args) : undefined;
  return extra ? { ...result, charts: [...(result.charts ?? []), extra] } : result;
}
