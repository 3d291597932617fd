import type { ServiceDefinitionInput } from '../schema.ts';
import { ANTHROPIC_ENV, ANTHROPIC_ENV_SOURCE } from './ai.ts';

/**
 * Model providers used through a subscription (Claude Pro/Max, a ChatGPT plan, GitHub
 * Copilot) instead of pay-per-token keys. The shapes are in shared/docs/protocols.md;
 * several are unofficial, so every URL and client id here can be overridden in
 * appsettings.json (Sophon.Services.<id>).
 */
export const SUBSCRIPTION_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'anthropic-subscription',
    name: 'Claude subscription (Claude Code)',
    category: 'ai',
    description:
      'Claude Pro/Max through the Claude Code CLI\'s own sign-in (read-only: Claude Code keeps refreshing it) or a `claude setup-token` token. Anthropic\'s terms restrict subscription credentials to its own apps: confirm that your plan permits this use.',
    docsUrl: 'https://docs.anthropic.com/en/docs/claude-code/iam',
    auth: [
      { type: 'cli_reader', cli: 'claude-code' },
      { type: 'bearer', label: 'Claude Code setup-token (sk-ant-oat01-…)', pattern: '^sk-ant-oat', help: 'https://docs.anthropic.com/en/docs/claude-code/cli-reference' },
    ],
    // OAuth tokens need the beta header besides the version (unofficial).
    api: { baseUrl: 'https://api.anthropic.com', headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'oauth-2025-04-20' } },
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {token}' }],
    // The Messages API is the only thing a subscription token may call (protocols.md).
    liveTest: { by: 'none', reason: 'Anthropic offers no read-only call for subscription tokens; the only proof is a one-token Messages request, which counts against the plan — run `sophon models test anthropic` for that' },
    provider: 'anthropic',
    // The Anthropic SDK and Claude Code send the broker token as their key; the broker swaps in the OAuth bearer.
    broker: { tokenIn: [{ in: 'header', name: 'x-api-key' }] },
    env: ANTHROPIC_ENV,
    envSource: ANTHROPIC_ENV_SOURCE,
  },
  {
    id: 'openai-codex',
    name: 'ChatGPT plan (Codex)',
    category: 'ai',
    description:
      'A ChatGPT plan through Codex\'s sign-in: Sophon\'s own (browser, PKCE; refreshed by Sophon) or read-only from the Codex CLI\'s auth.json. Each provider\'s terms decide whether a plan may be used programmatically.',
    docsUrl: 'https://developers.openai.com/codex/auth',
    auth: [
      {
        type: 'oauth2',
        docs: 'https://developers.openai.com/codex/auth',
        // Codex's own endpoints (no discovery); its id_tokens name https://auth.openai.com.
        authorizationEndpoint: 'https://auth.openai.com/oauth/authorize',
        tokenEndpoint: 'https://auth.openai.com/oauth/token',
        responseIssuer: { issuer: 'https://auth.openai.com', always: false },
        // OpenAI registered the client with only these loopback redirects; nothing for the person to register.
        redirects: ['loopback', 'paste'],
        loopback: { host: 'localhost', path: '/auth/callback', ports: [1455, 1457], match: 'exact', register: false },
        revocation: { kind: 'none', manageUrl: 'https://chatgpt.com/#settings/Security', reason: 'OpenAI documents no token revocation for Codex sign-ins' },
        defaultClientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
        clientRegistrationUrl: 'https://developers.openai.com/codex/auth',
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        // What Codex asks for, so the id_token carries the ChatGPT account and plan.
        extraAuthParams: { id_token_add_organizations: 'true', codex_cli_simplified_flow: 'true' },
      },
      { type: 'cli_reader', cli: 'codex' },
      { type: 'bearer', label: 'ChatGPT access token (from Codex)' },
    ],
    api: { baseUrl: 'https://chatgpt.com/backend-api/codex' },
    attach: [
      { in: 'header', name: 'Authorization', value: 'Bearer {token}' },
      { in: 'header', name: 'ChatGPT-Account-Id', value: '{account}' },
    ],
    // The ChatGPT backend Codex talks to is unofficial (protocols.md) and documents no identity call.
    liveTest: { by: 'none', reason: 'OpenAI documents no read-only call for Codex sign-ins (the ChatGPT backend Codex uses is unofficial), so Sophon does not guess at one' },
    provider: 'openai-codex',
  },
  {
    id: 'github-copilot',
    name: 'GitHub Copilot',
    category: 'ai',
    description:
      'A Copilot seat through a GitHub sign-in (device code), a pasted GitHub token, or the gh CLI\'s token. Sophon exchanges it for the short-lived Copilot token and renews that before it expires. GitHub Enterprise: set Sophon.Services.github-copilot.host.',
    docsUrl: 'https://docs.github.com/copilot',
    auth: [
      {
        type: 'device',
        deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
        tokenEndpoint: 'https://github.com/login/oauth/access_token',
        docs: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow',
        // The client id editors use (unofficial for third parties); override with clientId.
        defaultClientId: 'Iv1.b507a08c87ecfe98',
        // GitHub revokes an app token only with that app's secret, which this public client id has none of.
        revocation: { kind: 'none', manageUrl: 'https://github.com/settings/applications', reason: 'GitHub revokes an app\'s token only with the app\'s client secret, which the editors\' Copilot client does not have' },
        clientRegistrationUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow',
        scopes: ['read:user'],
      },
      { type: 'bearer', label: 'GitHub token', pattern: '^(ghp_|github_pat_|gho_|ghu_)', help: 'https://github.com/settings/tokens' },
      { type: 'cli_reader', cli: 'gh' },
    ],
    // The Copilot API; the token exchange names the plan's own host (endpoints.api).
    api: {
      baseUrl: 'https://api.githubcopilot.com',
      additionalBaseUrls: ['https://api.individual.githubcopilot.com', 'https://api.business.githubcopilot.com', 'https://api.enterprise.githubcopilot.com'],
    },
    // No read-only call on the Copilot API itself; exchanging the GitHub token proves the token and the seat.
    liveTest: { by: 'provider', what: 'the Copilot token exchange (GET /copilot_internal/v2/token)' },
    provider: 'github-copilot',
    // No variable points a program at the Copilot API; Copilot CLI's GitHub token is cleared so a real one is not passed on.
    env: [{ name: 'COPILOT_GITHUB_TOKEN' }],
    envSource: 'https://docs.github.com/en/copilot/how-tos/set-up/install-copilot-cli',
  },
];
