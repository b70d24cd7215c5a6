// Worker Versioning from inside a workflow (docs/versioning.md). An unversioned worker also reports a build ID
// (its bundle's checksum) but no deployment name; only a versioned one may declare a behaviour (the server
// refuses one from an unversioned worker).
import { workflowInfo } from '@temporalio/workflow';
import type { VersioningBehavior, WorkflowDefinitionOptions } from '@temporalio/common';

/** The build this task runs on, when the worker is versioned. */
export function versionedBuild(): string | undefined {
  const version = workflowInfo().currentDeploymentVersion;
  return version?.deploymentName ? version.buildId : undefined;
}

/** Options for setWorkflowOptions: the behaviour on a versioned worker, nothing on an unversioned one. */
export function whenVersioned(versioningBehavior: VersioningBehavior): () => WorkflowDefinitionOptions {
  return () => (versionedBuild() ? { versioningBehavior } : {});
}
