/** Which values are secrets: those of variables named like one. They are never printed anywhere. */
import { createRedactor } from './redact.js';

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|WEBHOOK)/i;

export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => SECRET_NAME.test(k) && typeof v === 'string' && v.length >= 4)
    .map(([, v]) => v as string);
}

export function secretsFrom(env: NodeJS.ProcessEnv): (text: string) => string {
  return createRedactor(secretValues(env));
}
