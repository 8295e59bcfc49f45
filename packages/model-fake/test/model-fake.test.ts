import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, tool, type ModelMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import { FAKE_MODEL_API_KEY, scriptedModel } from '../src/index.js';

const tools = {
  get_weather: tool({
    description: 'Weather of a city',
    inputSchema: jsonSchema<{ city: string }>({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    }),
  }),
};

function models(fake: ReturnType<typeof scriptedModel>, apiKey = FAKE_MODEL_API_KEY) {
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => fake.handle(new Request(input, init));
  return {
    openai: createOpenAI({ baseURL: 'https://models.test/v1', apiKey, fetch }).chat('gpt-test'),
    anthropic: createAnthropic({ baseURL: 'https://models.test/v1', apiKey, fetch })('claude-test'),
  };
}

describe.each(['openai', 'anthropic'] as const)('the scripted model through the AI SDK (%s)', (api) => {
  it('answers a tool call, then text after the tool result, with usage', async () => {
    const fake = scriptedModel([
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], usage: { input: 20, output: 7 } },
      { text: 'It is sunny in Oslo.' },
    ]);
    const model = models(fake)[api];
    const first = await generateText({ model, instructions: 'Be brief.', prompt: 'Weather in Oslo?', tools });
    expect(first.toolCalls).toMatchObject([{ toolName: 'get_weather', input: { city: 'Oslo' } }]);
    expect(first.usage).toMatchObject({ inputTokens: 20, outputTokens: 7 });
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      ...first.responseMessages,
      {
        role: 'tool',
        content: first.toolCalls.map((c) => ({
          type: 'tool-result' as const,
          toolCallId: c.toolCallId,
          toolName: c.toolName,
          output: { type: 'json' as const, value: { sky: 'clear' } },
        })),
      },
    ];
    const second = await generateText({ model, instructions: 'Be brief.', messages, tools });
    expect(second.text).toBe('It is sunny in Oslo.');
    expect(second.toolCalls).toEqual([]);
    // The model saw the system prompt, the tool offered and the tool result.
    const seen = JSON.stringify(fake.requests[1]!.body);
    expect(seen).toContain('Be brief.');
    expect(seen).toContain('get_weather');
    expect(seen).toContain('clear');
    expect(fake.pending).toBe(0);
  });

  it('answers scripted HTTP errors, a wrong key with 401 and an exhausted script with 500', async () => {
    const fake = scriptedModel([{ status: 529 }]);
    await expect(generateText({ model: models(fake)[api], prompt: 'x', maxRetries: 0 })).rejects.toMatchObject({
      statusCode: 529,
    });
    await expect(generateText({ model: models(fake)[api], prompt: 'x', maxRetries: 0 })).rejects.toMatchObject({
      statusCode: 500,
    });
    await expect(
      generateText({ model: models(fake, 'sk-wrong')[api], prompt: 'x', maxRetries: 0 }),
    ).rejects.toMatchObject({ statusCode: 401 });
  });
});
