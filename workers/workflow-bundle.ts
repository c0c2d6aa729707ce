import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import { failureConverterPath } from '../lib/temporal';

const here = fileURLToPath(import.meta.url);
const workflowsPath = path.join(path.dirname(here), '..', 'workflows', 'index.ts');

/**
 * The workflow bundle (webpack, through the SDK's bundleWorkflowCode), built in a short-lived child
 * process: webpack's memory would otherwise stay in the long-running worker's heap for good.
 */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  const child = spawn(process.execPath, ['--import', 'tsx', here], { stdio: ['ignore', 'pipe', 'pipe'] });
  const code: Buffer[] = [];
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => code.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      if (status === 0) resolve({ code: Buffer.concat(code).toString('utf8') });
      else reject(new Error(`bundling the workflows failed (exit ${status}):\n${errors}`));
    });
  });
}

// The child: the bundle's code on stdout, the bundler's warnings and errors on stderr.
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const logger = new DefaultLogger('WARN', ({ level, message }) => {
    process.stderr.write(`[bundler] ${level} ${message}\n`);
  });
  // With tracing on (lib/tracing.ts), the workflows continue the caller's trace and emit their spans.
  const workflowInterceptorModules = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? [
        createRequire(import.meta.url).resolve(
          '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
        ),
      ]
    : [];
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath,
    logger,
    workflowInterceptorModules,
  });
  process.stdout.write(code);
}
