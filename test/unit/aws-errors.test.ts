import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { SSMServiceException } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { awsFailure } from '../../activities/providers/aws-sdk';
import { ProviderErrorType } from '../../lib/providers/capabilities';

const ec2Error = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  new EC2ServiceException({ name, message: `${name} happened`, $fault: fault, $metadata: { httpStatusCode: status, requestId: 'req-1' } });

// The SDK's own exception classes, as the clients throw them; moto cannot throttle or deny on request.
describe('AWS errors as provider errors', () => {
  it.each([
    ['RequestLimitExceeded', 503, ProviderErrorType.Throttled, false],
    ['ThrottlingException', 400, ProviderErrorType.Throttled, false],
    ['UnauthorizedOperation', 403, ProviderErrorType.Denied, true],
    ['AccessDeniedException', 400, ProviderErrorType.Denied, true],
    ['InvalidInstanceID.NotFound', 400, ProviderErrorType.NotFound, true],
    ['InvalidAMIID.NotFound', 400, ProviderErrorType.NotFound, true],
    ['InvalidParameterValue', 400, ProviderErrorType.Invalid, true],
    ['InternalError', 500, ProviderErrorType.Unavailable, false],
  ])('%s (HTTP %d) is %s', (name, status, type, nonRetryable) => {
    const failure = awsFailure(ec2Error(name, status, status >= 500 && name !== 'RequestLimitExceeded' ? 'server' : 'client'), 'ec2:ModifyInstanceAttribute');
    expect(failure).toMatchObject({ type, nonRetryable });
    expect(failure.details?.[0]).toMatchObject({ awsCode: name, httpStatus: status, requestId: 'req-1', action: 'ec2:ModifyInstanceAttribute' });
  });

  it('names the permission to grant when denied, and a retry delay when throttled', () => {
    expect(awsFailure(ec2Error('UnauthorizedOperation', 403), 'ec2:CreateSnapshot').message).toMatch(/Allow ec2:CreateSnapshot/);
    expect(awsFailure(ec2Error('Throttling', 400), 'ec2:DescribeInstances').details?.[0]).toMatchObject({ retryAfterMs: 1000 });
  });

  it('treats an unmanaged SSM instance as an offline agent, and a refused connection as unavailable', () => {
    const ssm = new SSMServiceException({ name: 'InvalidInstanceId', message: 'not managed', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(awsFailure(ssm, 'ssm:SendCommand')).toMatchObject({ type: ProviderErrorType.AgentOffline, nonRetryable: false });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(awsFailure(refused, 'ec2:DescribeInstances')).toMatchObject({ type: ProviderErrorType.Unavailable, nonRetryable: false });
  });
});
