import { Broker, MailService, ToolRegistry, brokerTools, mailAgentTools, openCore, type CoreOptions, type SophonCore } from '../core/index.ts';
import { agentHandlers } from './handlers/agents.ts';
import { Dispatcher } from './dispatch.ts';
import { foundationHandlers } from './handlers/foundation.ts';
import { brokerHandlers } from './handlers/broker.ts';
import { oauthHandlers } from './handlers/oauth.ts';
import { providerHandlers } from './handlers/providers.ts';
import { mailHandlers } from './handlers/mail.ts';

export interface HostApi {
  readonly core: SophonCore;
  readonly dispatcher: Dispatcher;
  /** Skills and broker tokens; the host starts the proxy with `startBroker(core, { broker })`. */
  readonly broker: Broker;
  /**
   * The tools of `sophon mcp`, run here in the owner. Another module adds its own with
   * `tools.register(...)` in this composition (mail tools need credentials only the owner holds).
   */
  readonly tools: ToolRegistry;
  /** Mailboxes and the owner-side mail operations (the mail tools of `sophon mcp` use them). */
  readonly mail: MailService;
  dispose(): Promise<void>;
}

/**
 * Opens the core as the vault's owner and registers every request handler: the
 * composition shared by the desktop app, `sophon serve` and the CLI's one-shot mode.
 */
export async function openHostApi(options: CoreOptions): Promise<HostApi> {
  const core = await openCore(options);
  try {
    const dispatcher = new Dispatcher(core);
    dispatcher.register(foundationHandlers(core));
    const broker = new Broker(core);
    dispatcher.register(brokerHandlers(broker));
    broker.onChange((change) => {
      if (change.type === 'tokens') dispatcher.publish('broker.changed', { live: change.active });
      else dispatcher.publish('skills.changed', { id: change.skill });
    });
    dispatcher.register(oauthHandlers(core, dispatcher));
    dispatcher.register(providerHandlers(core));
    const tools = new ToolRegistry(broker);
    tools.register(...brokerTools(broker));
    const mail = new MailService(core, broker);
    tools.register(...mailAgentTools(mail, broker));
    dispatcher.register(mailHandlers(mail));
    dispatcher.register(agentHandlers(broker, tools));
    return { core, dispatcher, broker, tools, mail, dispose: () => core.dispose() };
  } catch (error) {
    await core.dispose();
    throw error;
  }
}
