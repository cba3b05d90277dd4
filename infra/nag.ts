import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The CloudFormation logical id of a construct's main resource, as cdk-nag prints it inside findings
 * (`AwsSolutions-IAM5[Resource::<DataBucketE3889A50.Arn>/incoming/*]`).
 */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const stack = Stack.of(element);
  return String(stack.resolve(stack.getLogicalId(element)));
}

/** One acknowledged IAM5 finding: a wildcard resource, with the reason it cannot be narrower. */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}
