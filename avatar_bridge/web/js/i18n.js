// Interface strings of the kiosk and the widget, in the guide's languages (protocol `language`).
const STRINGS = {
  en: {
    start: "Touch to start", startHint: "Talk to the guide, or type your question",
    welcome: "Hello! Ask me about any service in the hall.",
    placeholder: "Type your question", send: "Send", mic: "Hold to talk (or tap to start and stop)",
    micHandsFree: "Microphone on: just speak", micOff: "Microphone off", stop: "Stop speaking",
    settings: "Settings", elderly: "Larger text and slower speech", contrast: "High contrast",
    language: "Language", mode: "Microphone mode", pushToTalk: "Push to talk", handsFree: "Hands-free",
    newConversation: "New conversation", conversation: "Conversation", captions: "Captions",
    you: "You", guide: "Guide", idle: "Ready", listening: "Listening…", thinking: "Thinking…", speaking: "Speaking…",
    connecting: "Connecting…", reconnecting: "Connection lost, reconnecting…", open: "Connected",
    closed: "Disconnected", refused: "This kiosk is not allowed to connect",
    privacy: "For your privacy, the conversation has been cleared.", followUps: "Follow-up questions",
    materials: "What to bring", location: "Where to go", processing_time: "How long", fee: "Fee",
    online: "Online", steps: "Steps", eligibility: "Who can apply", cross_province: "Other provinces",
    summary: "About", window: "Window", windows: "Windows", zone: "Zone", floor: "Floor", time: "Time",
    free: "Free", scan: "Scan to open this service in the", hotline: "Hotline", unknown: "No information on this yet.",
    ticket: "Your queue number", appointment: "Appointment booked", hours: "Opening hours",
    handoff: "Staff have been told", reference: "Reference", copy: "copy", original: "original",
    original_and_copy: "original and a copy", electronic: "electronic copy", closedDays: "Closed",
    chatTitle: "Ask the Harbor City guide", openChat: "Open chat with the city guide", closeChat: "Close chat",
    micDenied: "The microphone is not available; please type your question.",
    liftUp: "take the lift up", liftDown: "take the lift down",
    lobbyStart: "Start the guide", lobbyStartHint: "Ask about any service of the hall, from home",
    lobbyWelcome: "Hello! I'm the guide of the Harbor City service hall. Ask me what a service needs, whether you can do it online, or book a visit.",
    micExplain: "To talk to the guide, your browser will ask for the microphone. Sound is sent only while the microphone button is on, and is not kept.",
    micAllow: "Use the microphone", micTypeInstead: "Type instead",
    micRefused: "The microphone is blocked, so you can type your questions. To talk, allow the microphone for this site in your browser's settings.",
    openHours: "Open", hallMap: "The hall: address and floor plan", prepare: "Prepare for one visit",
    printOrSave: "Print or save the checklist", doItOnline: "Do it online", servicePage: "Open the service's page",
    checkinQr: "QR code to check in with reference", checkinHint: "Show this at a kiosk in the hall to check in",
    check_in: "Check-in", checkin_unknown: "No appointment with this reference.",
    checkin_expired: "This appointment has expired.", checkin_early: "This appointment is on another day.",
    checkin_closed: "The hall is closed now.", checkin_not_at_kiosk: "Check in at a kiosk in the hall.",
    checkin_no_reference: "Say or scan your reference.",
  },
  zh: {
    start: "轻触开始", startHint: "可以对我说话，也可以打字提问", welcome: "您好！请问您要办理什么业务？",
    placeholder: "请输入您的问题", send: "发送", mic: "按住说话（或点一下开始、再点一下结束）",
    micHandsFree: "麦克风已开启，请直接说话", micOff: "麦克风已关闭", stop: "停止播报",
    settings: "设置", elderly: "大字体、慢语速", contrast: "高对比度", language: "语言", mode: "麦克风模式",
    pushToTalk: "按键说话", handsFree: "免按键", newConversation: "重新开始", conversation: "对话", captions: "字幕",
    you: "您", guide: "导办员", idle: "请讲", listening: "正在听…", thinking: "正在思考…", speaking: "正在说…",
    connecting: "正在连接…", reconnecting: "连接中断，正在重连…", open: "已连接", closed: "已断开",
    refused: "此终端无权连接", privacy: "为保护您的隐私，对话记录已清除。", followUps: "您可能还想问",
    materials: "所需材料", location: "办理地点", processing_time: "办理时限", fee: "费用", online: "网上办理",
    steps: "办理步骤", eligibility: "申请条件", cross_province: "跨省通办", summary: "简介", window: "窗口",
    windows: "窗口", zone: "区", floor: "楼层", time: "时限", free: "免费", scan: "扫码在以下应用中打开此业务：",
    hotline: "热线", unknown: "暂无此项信息。", ticket: "您的排队号", appointment: "预约成功", hours: "开放时间",
    handoff: "已通知工作人员", reference: "预约号", copy: "复印件", original: "原件", original_and_copy: "原件及复印件",
    electronic: "电子版", closedDays: "闭馆", chatTitle: "咨询海港市导办员", openChat: "打开咨询窗口",
    closeChat: "关闭咨询窗口", micDenied: "麦克风不可用，请打字提问。",
    liftUp: "请乘电梯上楼", liftDown: "请乘电梯下楼",
  },
};

export function strings(language = "en") {
  return { ...STRINGS.en, ...(STRINGS[language] || {}) };
}

/** Fill every [data-i18n] element's text and [data-i18n-label] element's aria-label. */
export function translatePage(root, language) {
  const t = strings(language);
  root.querySelectorAll("[data-i18n]").forEach((node) => (node.textContent = t[node.dataset.i18n] ?? node.textContent));
  root.querySelectorAll("[data-i18n-label]").forEach((node) => node.setAttribute("aria-label", t[node.dataset.i18nLabel]));
  root.querySelectorAll("[data-i18n-placeholder]").forEach((node) => (node.placeholder = t[node.dataset.i18nPlaceholder]));
  root.querySelectorAll("[data-i18n-title]").forEach((node) => (node.title = t[node.dataset.i18nTitle]));
}
