import type { ServiceDefinitionInput } from '../schema.ts';

/*
 * Outbound webhooks. For Zapier and IFTTT the secret is part of the URL path, and an attach
 * rule can only write a header or a query parameter: the broker has to splice the stored
 * secret into the path itself (see each description). The default header rule is left in
 * place only because it sends the secret nowhere but the host that issued it. None of these
 * has a call that does nothing, so none has a test.
 */
export const AUTOMATION_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'zapier',
    name: 'Zapier webhooks',
    category: 'automation',
    description: 'Trigger a Zap through its "Catch Hook" URL: POST https://hooks.zapier.com/hooks/catch/{account id}/{hook id}/ with a JSON body. The path is the only secret Zapier checks; store it (or the whole URL) as the token.',
    docsUrl: 'https://help.zapier.com/hc/en-us/articles/8496288690317-Trigger-Zaps-from-webhooks',
    auth: [
      {
        type: 'bearer',
        label: 'Webhook URL path',
        pattern: '^(https://hooks\\.zapier\\.com)?/hooks/catch/[0-9]+/[A-Za-z0-9]+/?$',
        help: 'https://help.zapier.com/hc/en-us/articles/8496288690317-Trigger-Zaps-from-webhooks',
      },
    ],
    api: { baseUrl: 'https://hooks.zapier.com' },
  },
  {
    id: 'make',
    name: 'Make webhooks',
    category: 'automation',
    description: 'Trigger a Make scenario through a custom webhook: POST https://hook.{zone}.make.com/{webhook id}. Add an API key to the webhook in Make and store it here; Sophon sends it as x-make-apikey. Without a key, the webhook URL path is the only secret.',
    docsUrl: 'https://apps.make.com/gateway',
    params: [{ name: 'zone', label: 'Make zone (from the webhook URL)', pattern: '^[a-z]{2}[0-9]+$', example: 'eu1' }],
    auth: [
      {
        type: 'api_key',
        label: 'Webhook API key',
        help: 'https://apps.make.com/gateway',
        attach: [{ in: 'header', name: 'x-make-apikey', value: '{token}' }],
      },
      {
        type: 'bearer',
        label: 'Webhook URL path',
        pattern: '^(https://hook\\.[a-z]{2}[0-9]+\\.make\\.com)?/[A-Za-z0-9]+$',
        help: 'https://apps.make.com/gateway',
      },
    ],
    api: { baseUrl: 'https://hook.{zone}.make.com' },
  },
  {
    id: 'ifttt',
    name: 'IFTTT webhooks',
    category: 'automation',
    description: 'Trigger an applet through the Webhooks service: POST https://maker.ifttt.com/trigger/{event}/with/key/{key} (body {"value1","value2","value3"}) or …/trigger/{event}/json/with/key/{key} for any JSON. The key sits in the path; IFTTT documents no header or query form.',
    docsUrl: 'https://help.ifttt.com/hc/en-us/articles/115010230347-Webhooks-service-FAQ',
    auth: [{ type: 'api_key', label: 'Webhooks key', help: 'https://ifttt.com/maker_webhooks/settings' }],
    api: { baseUrl: 'https://maker.ifttt.com' },
  },
];
