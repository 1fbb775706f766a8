// vitest globalSetup of the worker project: a webhook receiver (test/fakes/webhook-receiver.ts)
// in Node, whose address tests in workerd read with `inject("webhookReceiverUrl")`.
import type { TestProject } from "vitest/node";
import { startWebhookReceiver } from "../fakes/webhook-receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  return () => receiver.close();
}
