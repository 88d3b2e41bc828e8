'use strict'
// kafkajs 2.x client steps, driven by ../test_kafkajs.py.
//
//   node interop.js <step> <spec.json> <result.json>
//
// spec.json: { bootstrap, topic, partitions, createTopic, runs: [{codec,
//   acks, records: [{key, value, headers: [[name, value]], partition,
//   timestamp}]}], groupId } with keys/values base64-encoded.
// Steps: produce (createTopics + send every run), admin (metadata,
// offsets, offsets by timestamp), group (consumer group read-back; needs
// JoinGroup/SyncGroup/... on the broker). Results go to result.json; the
// Python side compares them byte-exact.
const fs = require('fs')
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const lz4js = require('lz4js')
const zstd = require('@bokuweb/zstd-wasm')

// kafkajs ships gzip only; the other codecs plug in (pure JS / wasm, so
// nothing is compiled at npm ci time). lz4js writes the LZ4 frame format
// Kafka uses (KIP-57), zstd-wasm zstd frames.
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress (encoder) { return Buffer.from(lz4js.compress(encoder.buffer)) },
  async decompress (buffer) { return Buffer.from(lz4js.decompress(buffer)) }
})
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress (encoder) { return Buffer.from(zstd.compress(encoder.buffer, 3)) },
  async decompress (buffer) { return Buffer.from(zstd.decompress(buffer)) }
})

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD
}
const b64 = (s) => Buffer.from(s, 'base64')

function client (spec) {
  return new Kafka({
    clientId: 'sealog-interop',
    brokers: [spec.bootstrap],
    logLevel: logLevel.WARN,
    retry: { retries: 3 },
    connectionTimeout: 5000,
    requestTimeout: 15000
  })
}

function toMessage (r) {
  const headers = {}
  for (const [name, value] of r.headers) headers[name] = b64(value)
  return {
    key: b64(r.key),
    value: b64(r.value),
    headers,
    partition: r.partition,
    timestamp: String(r.timestamp)
  }
}

async function produce (spec) {
  const kafka = client(spec)
  const out = { created: null, sends: [] }
  if (spec.createTopic) {
    const admin = kafka.admin()
    await admin.connect()
    out.created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: 1 }]
    })
    await admin.disconnect()
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1 })
  await producer.connect()
  for (const run of spec.runs) {
    const meta = await producer.send({
      topic: spec.topic,
      acks: run.acks,
      compression: CODECS[run.codec],
      messages: run.records.map(toMessage)
    })
    out.sends.push(meta.map((m) => ({ partition: m.partition, errorCode: m.errorCode, baseOffset: m.baseOffset })))
  }
  await producer.disconnect()
  return out
}

async function admin (spec) {
  const adm = client(spec).admin()
  await adm.connect()
  const md = await adm.fetchTopicMetadata({ topics: [spec.topic] })
  const offsets = await adm.fetchTopicOffsets(spec.topic)
  const byTime = {}
  for (const ts of spec.timestamps || []) {
    byTime[ts] = await adm.fetchTopicOffsetsByTimestamp(spec.topic, ts)
  }
  const topics = await adm.listTopics()
  await adm.disconnect()
  return {
    partitions: md.topics[0].partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, partitionErrorCode: p.partitionErrorCode })),
    offsets,
    byTime,
    listed: topics.includes(spec.topic)
  }
}

async function group (spec) {
  const want = spec.runs.reduce((n, r) => n + r.records.length, 0)
  const consumer = client(spec).consumer({ groupId: spec.groupId, sessionTimeout: 10000 })
  const got = []
  await consumer.connect()
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true })
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`group consume timed out at ${got.length}/${want}`)), 30000)
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = Object.entries(message.headers || {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
        got.push({
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString('base64') : null,
          value: message.value ? message.value.toString('base64') : null,
          headers
        })
        if (got.length >= want) { clearTimeout(timer); resolve() }
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  return { records: got }
}

async function main () {
  await zstd.init()
  const [step, specPath, outPath] = process.argv.slice(2)
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'))
  const steps = { produce, admin, group }
  if (!steps[step]) throw new Error(`unknown step ${step}`)
  const result = await steps[step](spec)
  fs.writeFileSync(outPath, JSON.stringify(result))
}

main().catch((e) => { console.error(e); process.exit(1) })
