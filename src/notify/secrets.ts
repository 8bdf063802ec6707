/**
 * Which values are secrets: those of variables named like one, and those an environment
 * declares (`secrets: [HEALTH_TOKEN]`) whatever their name. They are never printed anywhere.
 */
import { createRedactor } from './redact.js';

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|WEBHOOK)/i;

export function secretValues(env: NodeJS.ProcessEnv, declared: readonly string[] = []): string[] {
  const names = new Set(declared);
  return Object.entries(env)
    .filter(([k, v]) => (SECRET_NAME.test(k) || names.has(k)) && typeof v === 'string' && v.length >= 4)
    .map(([, v]) => v as string);
}

export function secretsFrom(env: NodeJS.ProcessEnv, declared: readonly string[] = []): (text: string) => string {
  return createRedactor(secretValues(env, declared));
}
