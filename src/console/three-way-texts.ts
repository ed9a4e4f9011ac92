/**
 * The three-way reconciliation's explanations and money effects in the console's languages: the engine's templates
 * (engine/three-way-actions.ts) are English, as the API, the CLI and the CSV give them; Russian here. Every key of
 * the engine's tables has its text (the types say so), with the same {placeholders}.
 */
import { EXPLANATIONS, fillTemplate, MONEY_EFFECTS, type CaseProposal, type ExplanationKey, type MoneyEffectKey } from '../engine/three-way-actions.ts';
import type { ConsoleLang } from './i18n.ts';

const RU_EXPLANATIONS: Record<ExplanationKey, string> = {
  matched: 'Все три учёта совпадают.',
  matched_unpaid: 'Учёты сходятся: платёж не оплачен (в хабе: {state}).',
  duplicate_at_provider: 'Поставщик указывает этот платёж {n} раз(а); хаб отправил его один раз. Поставщик ведёт платежи по референсу хаба и не может держать два: он убирает лишнюю строку из своего реестра.',
  duplicate_at_agent: 'Агент указывает свой платёж {txn} {n} раз(а); хаб принял этот agentTransactionId один раз. Агент убирает лишнюю строку.',
  unknown_reference: 'Поставщик указывает референс {reference}, которого нет среди платежей хаба: хаб его не отправлял и денег за него не держит. Поставщик отменяет его или объясняет.',
  unknown_agent_payment: 'Хаб не принимал agentTransactionId {txn} и средств за него не списывал. Агент отправляет платёж повторно с тем же agentTransactionId (повтор безопасен) или возвращает деньги клиенту.',
  lost_by_provider: 'Хаб провёл платёж (референс поставщика {ref}), но в реестре поставщика его нет. Отправьте его повторно с тем же референсом: сначала запрашивается статус у поставщика, а платежи он ведёт по референсу, поэтому дважды оплатить нельзя. Если поставщик уже не может его принять — верните деньги агенту.',
  not_in_agent_registry: 'Хаб провёл платёж и списал с агента {amount}, у поставщика он есть; в реестре агента его нет. Агент добавляет его (статус в API агента — «успешно»).',
  agent_says_unpaid: 'Хаб провёл платёж и списал с агента {amount}; агент указывает его как неоплаченный. Агент исправляет реестр — или, если он вернул деньги клиенту, платёж отменяется.',
  provider_has_it: 'Платёж есть у поставщика (его референс {ref}), а в хабе он {state}. Проведите его как оплаченный с референсом поставщика: деньги клиента остаются у агента за этот платёж.',
  provider_keeps_unpaid: 'Платёж есть у поставщика, а в хабе он {state}, и денег за него хаб не держит. Поставщик возвращает его (отменяет у себя).',
  hub_resolving: 'Хаб ещё выясняет статус платежа у поставщика: задание статуса завершит его. Повторите сверку после.',
  hub_did_not_pay: 'В хабе платёж {state}, средств за него нет (резерв агента снят); агент указывает его как оплаченный. Агент исправляет реестр и возвращает деньги клиенту или платит заново с новым agentTransactionId.',
  agent_amount: 'Хаб списал с агента {amount}, как было в запросе платежа; в реестре агента — {agentAmount}. Агент исправляет реестр.',
  provider_amount_reverse: 'У поставщика {providerAmount} за платёж, который хаб отправил на {amount}. Отмените его у поставщика (в тот же его операционный день) и верните деньги агенту; агент платит заново на верную сумму. Либо поставщик исправляет свою запись.',
  provider_amount_fix: 'У поставщика {providerAmount} за платёж, который хаб отправил на {amount}. Поставщик не умеет отменять: он исправляет запись на сумму хаба.',
};

const RU_EFFECTS: Record<MoneyEffectKey, string> = {
  none: 'нет: деньги хаба не двигаются',
  pay_provider: 'в учёте: нет (счёт поставщика получил {amount}, когда платёж прошёл); деньги получает поставщик',
  agent_back: 'в учёте: агенту +{amount}, счёт поставщика −{amount}',
  agent_charged: 'в учёте: агент −{amount}, счёт поставщика +{amount}',
};

const TEXTS: Record<ConsoleLang, { explanations: Record<ExplanationKey, string>; effects: Record<MoneyEffectKey, string> }> = {
  ru: { explanations: RU_EXPLANATIONS, effects: RU_EFFECTS },
  en: { explanations: EXPLANATIONS, effects: MONEY_EFFECTS },
};

/** An item's explanation and money effect in the page's language. */
export function reasonIn(lang: ConsoleLang, reason: CaseProposal['reason']): { explanation: string; moneyEffect: string } {
  const texts = TEXTS[lang];
  return { explanation: fillTemplate(texts.explanations[reason.key], reason.values), moneyEffect: fillTemplate(texts.effects[reason.effect], reason.values) };
}
