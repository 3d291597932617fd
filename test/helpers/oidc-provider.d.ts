// oidc-provider ships no type declarations; this covers only what the test helpers use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContext {
    readonly method: string;
    readonly path: string;
    status: number;
    body: unknown;
    type: string;
    set(field: string, value: string): void;
    readonly req: IncomingMessage & { body?: unknown };
    readonly oidc?: {
      readonly params?: Record<string, unknown>;
      readonly body?: Record<string, unknown>;
      readonly route?: string;
    };
  }

  export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export interface GrantInstance {
    readonly jti: string;
    readonly accountId?: string;
    readonly clientId?: string;
    destroy(): Promise<void>;
  }

  export interface TokenModel {
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ClientLike {
    grantTypeAllowed(grantType: string): boolean;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: KoaMiddleware): this;
    on(event: 'grant.saved', listener: (grant: GrantInstance) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    readonly Grant: { find(id: string): Promise<GrantInstance | undefined> };
    readonly AccessToken: TokenModel;
    readonly RefreshToken: TokenModel;
    readonly AuthorizationCode: TokenModel;
    readonly DeviceCode: TokenModel;
  }
}
