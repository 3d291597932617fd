import type { ToolResult } from './tool-registry.ts';

/** What is known about a failed call, to say what to do in the user's words ("work Gmail"). */
export interface ErrorFacts {
  readonly skill: string;
  /** The connection concerned, when known (a NEEDS_REAUTH answer names it). */
  readonly connection?: { readonly id: string; readonly service: string; readonly label: string };
  /** The service's display name, for "reconnect work Gmail". */
  readonly serviceName?: string;
}

/**
 * A failure as a tool error a model can act on: the stable code first (for programs), the
 * cause, and then what to do — usually what to ask the user, since only they can approve a
 * skill, widen a grant or sign in again. Never a credential: messages come from the core and
 * the broker, which hold none in their text.
 */
export function toolError(error: { readonly code: string; readonly message: string }, facts: ErrorFacts): ToolResult {
  const next = nextStep(error.code, facts);
  return { isError: true, text: `${error.code}: ${error.message}${next ? `\n${next}` : ''}` };
}

function nextStep(code: string, facts: ErrorFacts): string | undefined {
  const skill = facts.skill;
  switch (code) {
    case 'SKILL_NOT_FOUND':
      return `What to do: tell the user that the skill "${skill}" is not installed in Sophon; they add its manifest with \`sophon skills add <manifest.json>\` and approve it. Do not retry before that.`;
    case 'SKILL_NOT_APPROVED':
      return `What to do: ask the user to review and approve the skill "${skill}" in Sophon (\`sophon skills approve ${skill}\`, or the Sophon window). Do not retry before they have.`;
    case 'BROKER_DENIED':
      return `What to do: this is outside what the user granted the skill "${skill}"; do not try to get around it. Use list_connections to see what is allowed, or ask the user to extend the skill's manifest and approve it again.`;
    case 'NEEDS_REAUTH': {
      const c = facts.connection;
      const what = c ? `${c.label} ${facts.serviceName ?? c.service} (${c.service}:${c.label})` : 'the connection';
      return `What to do: ask the user to reconnect ${what} in Sophon (Reconnect in the Sophon window or tray${c ? `, or \`sophon connect reauth ${c.service}:${c.label}\`` : ''}), then call this tool again.`;
    }
    case 'NO_USABLE_PROFILE':
      return 'What to do: ask the user to sign in to the model provider again in Sophon (`sophon models status` says which profile needs what), then call again.';
    case 'AMBIGUOUS_CONNECTION':
      return 'What to do: call again with `connection` set to one of the connections named above (service:label). Do not pick one for the user if the task does not say which.';
    case 'CONNECTION_NOT_FOUND':
      return 'What to do: call list_connections to see the connections this skill may use; if the one needed is missing, ask the user to connect it in Sophon.';
    case 'BROKER_NOT_RUNNING':
    case 'OWNER_UNREACHABLE':
      return 'What to do: ask the user to start Sophon (the desktop app, or `sophon serve`), then call again.';
    case 'BROKER_TOKEN_INVALID':
      return 'What to do: the kill switch may have been used in Sophon; call again once. If it fails the same way, tell the user.';
    case 'NETWORK_ERROR':
      return 'What to do: the service did not answer properly; retry later, and tell the user if it keeps failing.';
    case 'INVALID_INPUT':
      return 'What to do: fix the request (path, query, method) and call again.';
    default:
      return undefined;
  }
}
