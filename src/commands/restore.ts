// restore-vault: implemented in the restore issue.
import type { RestoreConfig } from '../config/config.ts';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CommandResult } from './result.ts';

export function runRestore(_config: RestoreConfig, _log: Logger, _signal: AbortSignal): Promise<CommandResult> {
  return Promise.reject(new TaskError('config', 'restore-vault is not implemented yet'));
}
