// The shared set-up of the AWS SDK for JavaScript v3 client scripts: a client of one service
// pointed at opsight (OPSIGHT_ENDPOINT, AWS_REGION, the AWS_* credentials the test sets, no
// retries), `send(op, input)` and `error(op, input)` for a call that must fail.
'use strict';

// `sdk`: the required package (e.g. require('@aws-sdk/client-xray')); `clientName`: its client
// class ("XRayClient"); `extra`: more client configuration (e.g. {protocol: ...}).
function awsClient(sdk, clientName, extra = {}) {
  const client = new sdk[clientName]({
    endpoint: process.env.OPSIGHT_ENDPOINT,
    region: process.env.AWS_REGION || 'us-east-1',
    maxAttempts: 1,
    ...extra,
  });
  const send = (op, input) => client.send(new sdk[op + 'Command'](input));
  // {name, code, status} of the error of a call that must fail.
  async function error(op, input) {
    try {
      await send(op, input);
    } catch (e) {
      return {name: e.name, code: e.Code || null, status: e.$metadata && e.$metadata.httpStatusCode};
    }
    throw new Error(`${op} succeeded but should have failed`);
  }
  return {client, send, error};
}

module.exports = {awsClient};
