'use strict'
// kafkajs 2.x consumer-group steps, driven by ../test_groups_kafkajs.py.
//
//   node groups.js member <cfg-json>
//     One group member speaking the JSON-lines protocol of
//     ../test_groups_common.py on stdout/stdin. cfg: { bootstrap, group,
//     topic, name, sessionMs, heartbeatMs }.
//   node groups.js admin <cfg-json>
//     One admin call, its result as JSON on stdout. cfg: { bootstrap, op,
//     groups, topic }, op one of list, describe, delete, offsets.
const readline = require('readline')
const { Kafka, logLevel } = require('kafkajs')

const emit = (ev, fields = {}) =>
  process.stdout.write(JSON.stringify({ ev, ...fields }) + '\n')

function client (cfg) {
  return new Kafka({
    clientId: 'kjs-' + (cfg.name || 'admin'),
    brokers: [cfg.bootstrap],
    logLevel: logLevel.WARN,
    retry: { retries: 5 },
    connectionTimeout: 5000,
    requestTimeout: 15000
  })
}

async function member (cfg) {
  const consumer = client(cfg).consumer({
    groupId: cfg.group,
    sessionTimeout: cfg.sessionMs,
    heartbeatInterval: cfg.heartbeatMs,
    maxWaitTimeInMs: 100
  })
  const position = {} // partition -> next offset, from what was consumed
  let current = []
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    current = (e.payload.memberAssignment[cfg.topic] || []).slice().sort((a, b) => a - b)
    emit('assignment', { parts: current })
  })
  consumer.on(consumer.events.CRASH, (e) => emit('error', { what: String(e.payload.error) }))
  await consumer.connect()
  await consumer.subscribe({ topic: cfg.topic, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      position[partition] = Number(message.offset) + 1
      emit('msg', { p: partition, o: Number(message.offset), v: message.value.toString() })
    }
  })
  emit('ready')
  const lines = readline.createInterface({ input: process.stdin })
  for await (const line of lines) {
    const cmd = line.trim()
    if (cmd === 'close') {
      await consumer.disconnect()
      emit('closed')
      process.exit(0)
    }
    const arg = cmd.slice('commit'.length).trim()
    const offsets = {}
    if (arg) {
      Object.assign(offsets, JSON.parse(arg))
    } else {
      for (const p of current) if (position[p] !== undefined) offsets[p] = position[p]
    }
    await consumer.commitOffsets(Object.entries(offsets).map(([p, o]) => ({
      topic: cfg.topic, partition: Number(p), offset: String(o), metadata: 'meta-' + p
    })))
    emit('committed', { offsets })
  }
}

async function admin (cfg) {
  const adm = client(cfg).admin()
  await adm.connect()
  let out
  try {
    if (cfg.op === 'list') {
      out = await adm.listGroups()
    } else if (cfg.op === 'describe') {
      const res = await adm.describeGroups(cfg.groups)
      out = res.groups.map((g) => ({
        ...g,
        members: g.members.map((m) => ({
          ...m,
          memberMetadata: m.memberMetadata.toString('base64'),
          memberAssignment: m.memberAssignment.toString('base64')
        }))
      }))
    } else if (cfg.op === 'delete') {
      try {
        out = { results: await adm.deleteGroups(cfg.groups) }
      } catch (e) {
        // KafkaJSDeleteGroupsError carries every group's result.
        out = { error: e.name, results: (e.groups || []).map((g) => ({ groupId: g.groupId, errorCode: g.errorCode, error: g.error && g.error.type })) }
      }
    } else if (cfg.op === 'offsets') {
      out = await adm.fetchOffsets({ groupId: cfg.groups[0], topics: [cfg.topic] })
    } else {
      throw new Error('unknown admin op ' + cfg.op)
    }
  } finally {
    await adm.disconnect()
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

async function main () {
  const [mode, cfg] = process.argv.slice(2)
  const steps = { member, admin }
  if (!steps[mode]) throw new Error(`unknown mode ${mode}`)
  await steps[mode](JSON.parse(cfg))
}

main().catch((e) => { console.error(e); process.exit(1) })
