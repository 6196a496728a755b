import { tool } from '@langchain/core/tools';
import { interrupt } from '@langchain/langgraph';
import { z } from 'zod';
import { REFUND_TOOL } from './demo-script.js';

const refundArgs = z.object({
  order_id: z.string().describe('The order to refund'),
  amount: z.number().positive().describe('Amount in dollars'),
});
type RefundArgs = z.infer<typeof refundArgs>;

/** What a reviewer sends back when resuming the interrupt. */
export interface ApprovalDecision {
  decision: 'approve' | 'reject' | 'edit';
  value?: Partial<RefundArgs>;
  comment?: string;
}

/**
 * Issues a refund, but only after a human decides: the tool pauses the graph with
 * `interrupt()` and acts on the decision it is resumed with.
 */
export const refundTool = tool(
  async (args: RefundArgs) => {
    const decision = interrupt<unknown, ApprovalDecision>({
      action: REFUND_TOOL,
      args,
      description: `Refund $${args.amount.toFixed(2)} for order ${args.order_id}`,
    });
    const note = decision?.comment ? ` Reviewer's note: ${decision.comment}` : '';
    switch (decision?.decision) {
      case 'approve':
        return `Refund issued: $${args.amount.toFixed(2)} for order ${args.order_id}.${note}`;
      case 'edit': {
        const edited = refundArgs.parse({ ...args, ...(decision.value ?? {}) });
        return `Refund issued: $${edited.amount.toFixed(2)} for order ${edited.order_id} (edited by the reviewer).${note}`;
      }
      default:
        return `Refund not issued: the reviewer rejected it.${note}`;
    }
  },
  {
    name: REFUND_TOOL,
    description: 'Refund an order. A human must approve every refund before it is issued.',
    schema: refundArgs,
  },
);
